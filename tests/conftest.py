"""The implementations under test are not test modules: pytest does not import them."""

collect_ignore_glob = ["implementations/*"]
