"""Maintained by the template (arrives with `cruft update`).

A team's MLflow tracking server, checked before a stage logs anything: one that is down or
refuses our credentials fails the stage in seconds with one line saying what to do, instead
of after MLflow's minutes of retries or half-way through a run.
"""

import os
import ssl

from mlflow.exceptions import MlflowException
from mlflow.utils.credentials import get_default_host_creds
from mlflow.utils.rest_utils import MlflowHostCreds, http_request

from .failures import TrackingError, first_line

# A tracking server that is down must fail the stage in seconds, not after MLflow's default
# minutes of retries. Users can still raise these through the same environment variables.
SERVER_CHECK_TIMEOUT_SECONDS = 10


HTTP_DEFAULTS = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "20",
}


# Asked of an http(s) server before anything else: an API call that a server with MLflow's
# basic auth refuses without valid credentials (its /health answers everyone).
SERVER_PROBE = ("/api/2.0/mlflow/experiments/search", {"max_results": 1})


CREDENTIALS_HELP = (
    "export MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD "
    "(the server's admin creates your user; never commit them)"
)


def check_server(uri: str) -> None:
    """Raise TrackingError at once when an http(s) tracking server is down or refuses us.

    Credentials are MLflow's own (MLFLOW_TRACKING_USERNAME / _PASSWORD or _TOKEN, TLS
    settings such as MLFLOW_TRACKING_SERVER_CERT_PATH), so the probe sees what MLflow will.
    """
    if not uri.startswith(("http://", "https://")):
        return
    for variable, value in HTTP_DEFAULTS.items():
        os.environ.setdefault(variable, value)
    credentials = get_default_host_creds(uri)
    endpoint, query = SERVER_PROBE
    try:
        response = http_request(
            credentials,
            endpoint,
            "GET",
            params=query,
            timeout=SERVER_CHECK_TIMEOUT_SECONDS,
            max_retries=0,
            raise_on_status=False,
        )
    except MlflowException as error:
        raise TrackingError(
            f"MLflow tracking server {uri} is not reachable ({unreachable_reason(error)}); "
            "start it, or point MLFLOW_TRACKING_URI at a running one"
        ) from None
    if response.status_code in (401, 403):
        raise TrackingError(refusal(uri, response.status_code, credentials))


def unreachable_reason(error: Exception) -> str:
    """The root cause of a failed request, in a few words: 'Connection refused', a timeout."""
    cause: BaseException = error
    while (cause.__cause__ or cause.__context__) is not None:
        cause = cause.__cause__ or cause.__context__
    if isinstance(cause, ssl.SSLError):
        return (
            f"{cause.strerror or cause}; for a self-signed certificate set "
            "MLFLOW_TRACKING_SERVER_CERT_PATH to its CA bundle"
        )
    if isinstance(cause, TimeoutError):
        return f"no answer within {SERVER_CHECK_TIMEOUT_SECONDS} s"
    return getattr(cause, "strerror", None) or first_line(cause)


def refusal(uri: str, status: int, credentials: MlflowHostCreds) -> str:
    """One line on why the server refused (401: who we are; 403: what we may do), and the fix."""
    user, password = credentials.username, credentials.password
    if status == 403 and user:
        return (
            f"MLflow tracking server {uri} denied user '{user}' access (403); ask its admin for "
            "permission on this project's experiment and model"
        )
    if status == 403:
        return f"MLflow tracking server {uri} denied access (403); {CREDENTIALS_HELP}"
    if user and password:
        return (
            f"MLflow tracking server {uri} refused the credentials for user '{user}' (401); "
            "check MLFLOW_TRACKING_PASSWORD, or ask the server's admin to reset it"
        )
    if user:
        return (
            f"MLflow tracking server {uri} needs a password for user '{user}' (401); "
            "export MLFLOW_TRACKING_PASSWORD (never commit it)"
        )
    if credentials.token:
        return (
            f"MLflow tracking server {uri} refused the token in MLFLOW_TRACKING_TOKEN (401); "
            f"{CREDENTIALS_HELP}"
        )
    return (
        f"MLflow tracking server {uri} needs credentials (401) and none are set; {CREDENTIALS_HELP}"
    )
