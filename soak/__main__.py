import locust  # noqa: F401  (first: gevent's monkey patching must precede every other import)

from soak.run import main

main()
