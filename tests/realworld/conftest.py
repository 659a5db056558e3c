"""The adapters run inside handgrad-compare's worker (submission() there), and the fetched copies are students'
code: neither is collected."""

collect_ignore_glob = ["adapters/*", "sources/*"]
