"""A file with no function of the API at all: nothing to grade."""

answer = 42
