"""The template's tests of its machinery: maintained by the template (`cruft update`)."""
