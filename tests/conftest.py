pytest_plugins = [
    "tests.fixtures.servers",
    "tests.fixtures.bot",
    "tests.fixtures.aws",
    "tests.fixtures.weekly",
]
