"""One expectation per datavet check type (importing a module registers its class with GX; the
check registry names each check's module: datavet.checks.registry)."""
