"""Real services on loopback for the team-mode tests: PostgreSQL and an MLflow server.

PostgreSQL's `initdb` refuses to run as root, so as root the cluster is created and run
as the `postgres` user. Where the server binaries are absent the tests skip with a reason;
.ci/run installs them, so CI always runs these tests.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from glob import glob
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def postgres_bin() -> Path | None:
    found = sorted(glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def runuser() -> str:
    """`runuser`'s path: it lives in /usr/sbin, which non-login shells often leave off PATH."""
    found = shutil.which("runuser") or shutil.which("runuser", path="/usr/sbin:/sbin")
    if found is None:
        pytest.skip("runuser not found (util-linux); needed to run PostgreSQL as postgres under root")
    return found


def as_postgres(command: list[str]) -> list[str]:
    """Run as the postgres user when we are root (initdb refuses root)."""
    return [runuser(), "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def wait_for(check, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    raise TimeoutError(f"{what} did not come up within {seconds} s")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL cluster on 127.0.0.1 with an empty `mlflow` database."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries (initdb) not found; apt-get install postgresql")
    data = Path(tempfile.mkdtemp(prefix="pg-test-"))
    data.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
    port = free_port()
    subprocess.run(as_postgres([str(bin_dir / "initdb"), "-D", str(data / "db"), "-A", "trust",
                                "-U", "postgres", "--no-sync"]), check=True, capture_output=True)  # fmt: skip
    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off"
    pg_ctl = [str(bin_dir / "pg_ctl"), "-D", str(data / "db"), "-l", str(data / "log")]
    subprocess.run(as_postgres([*pg_ctl, "-o", options, "-w", "start"]), check=True, capture_output=True)
    try:
        subprocess.run(as_postgres([str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port),
                                    "-U", "postgres", "mlflow"]), check=True, capture_output=True)  # fmt: skip
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/mlflow"
    finally:
        subprocess.run(as_postgres([*pg_ctl, "-m", "immediate", "stop"]), capture_output=True)
        shutil.rmtree(data, ignore_errors=True)


def healthy(url: str, endpoint: str = "/health") -> bool:
    """Whether an MLflow server answers 200 at `endpoint` (the scoring server's is /ping)."""
    try:
        with urllib.request.urlopen(f"{url}{endpoint}", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


# The team server's secrets, given to `make tracking-server` through its environment.
SERVER_SECRETS = {
    "MLFLOW_FLASK_SERVER_SECRET_KEY": "4f1c9e2b7a5d3c8e0f6a1b9d2c7e5a3f",
    "MLFLOW_AUTH_ADMIN_PASSWORD": 'Adm1n-pa$$word-\\-"quoted"',
}
ADMIN = {"MLFLOW_TRACKING_USERNAME": "admin", "MLFLOW_TRACKING_PASSWORD": SERVER_SECRETS["MLFLOW_AUTH_ADMIN_PASSWORD"]}
CLIENT_CREDENTIALS = ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN")


@pytest.fixture(scope="session")
def server_host(tmp_path_factory) -> Path:
    """A default project baked for whoever hosts the team server: its Makefile starts it."""
    from cookiecutter.main import cookiecutter

    template = Path(__file__).resolve().parent.parent
    output = tmp_path_factory.mktemp("server-host")
    return Path(cookiecutter(str(template), no_input=True, output_dir=str(output),
                             extra_context={"project_name": "Server Host"}))  # fmt: skip


def tracking_server_command(host: Path, postgres_url: str, port: int) -> list[str]:
    """The generated project's `make tracking-server`, with the template's venv as the project's."""
    venv = Path(sys.executable).parent.parent
    return ["make", "--no-print-directory", "-C", str(host), "tracking-server", f"VENV={venv}",
            f"TRACKING_DB={postgres_url}", f"PORT={port}", "SERVER_OPTIONS=--workers 1"]  # fmt: skip


@pytest.fixture(scope="session")
def mlflow_server(postgres_url, server_host) -> Iterator[str]:
    """The generated project's `make tracking-server` on loopback: MLflow's basic auth on the
    PostgreSQL above, proxying artifacts. Clients need ADMIN (or a user it creates)."""
    port = free_port()
    log_path = server_host.parent / "mlflow-server.log"
    log = open(log_path, "w")  # noqa: SIM115 - closed below
    environment = {k: v for k, v in os.environ.items() if k not in CLIENT_CREDENTIALS} | SERVER_SECRETS
    server = subprocess.Popen(tracking_server_command(server_host, postgres_url, port), env=environment,
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        # Generous: on a loaded 2-core machine the server on PostgreSQL can take minutes.
        try:
            wait_for(lambda: healthy(url) or server.poll() is not None, "mlflow server", 300)
        except TimeoutError as error:
            raise RuntimeError(f"{error}; its log:\n{log_path.read_text()}") from None
        if server.poll() is not None:
            raise RuntimeError(f"mlflow server exited: {log_path.read_text()}")
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()


@pytest.fixture
def admin_credentials(monkeypatch) -> dict[str, str]:
    """The team server's admin, in this process's environment (and so in every child's)."""
    monkeypatch.delenv("MLFLOW_TRACKING_TOKEN", raising=False)
    for variable, value in ADMIN.items():
        monkeypatch.setenv(variable, value)
    return ADMIN


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory) -> Iterator[str]:
    """moto's standalone S3 API on loopback, with test credentials in the environment."""
    os.environ.update(AWS_ACCESS_KEY_ID="test-key-id", AWS_SECRET_ACCESS_KEY="test-secret-value",
                      AWS_DEFAULT_REGION="us-east-1")  # fmt: skip
    port = free_port()
    log = open(tmp_path_factory.mktemp("moto") / "moto.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"

    def answering() -> bool:
        try:
            urllib.request.urlopen(f"{url}/", timeout=2)
        except urllib.error.HTTPError:
            return True
        except OSError:
            return False
        return True

    try:
        wait_for(answering, "moto S3 server", 60)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()


def create_bucket(endpoint: str, name: str) -> None:
    import boto3

    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=name)
