"""Web security of the dashboard: who may reach it, from which page, with how much.

* :mod:`app.security.origins` - which ``Host`` and ``Origin`` values are the dashboard's own
  (pure functions of the bind address and the settings);
* :mod:`app.security.netinfo` - the machine's names and addresses, for a 0.0.0.0 bind;
* :mod:`app.security.limits` - body caps and content types of state-changing requests;
* :mod:`app.security.actions` - who may start, stop and reset scenarios (``--read-only``,
  a live session);
* :mod:`app.security.headers` - the Content-Security-Policy and the other answer headers;
* :mod:`app.security.middleware` - the one ASGI middleware in front of everything;
* :mod:`app.security.auth` - the token gate and its middleware, the session registry;
* :mod:`app.security.login` - the login form, ``POST /login`` and ``POST /logout``;
* :mod:`app.security.throttle` - failed logins slowed per client address;
* :mod:`app.security.ratelog` - refusals logged once per kind per minute;
* :mod:`app.security.ui` - the logout control for the page header;
* :mod:`app.security.wiring` - ``install(app, settings)``, the one call ``app.main`` makes.

This package imports nothing on import, so :mod:`app.config` can use
:mod:`app.security.origins` to validate its settings.
"""
