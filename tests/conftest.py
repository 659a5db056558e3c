"""The implementations under test are not test modules: pytest does not import them."""

collect_ignore_glob = ["implementations/*"]

from support import write_solutions  # noqa: E402

write_solutions()  # the implementations' correct parts, before any of them is loaded
