"""JupyterHub for one class on one server: nbgrader's "one class, multiple graders" set-up.

Started by ``make hub`` (``python -m tools.hub start``), which creates the accounts, the shared
environment, the exchange and the course directory, writes ``hub.json`` in the hub's folder and runs
``jupyterhub -f deploy/jupyterhub/jupyterhub_config.py`` there as root (the hub runs every user's
server as that user). Every value that depends on the machine (ports, paths, account names) comes from
``hub.json`` (``$VAE_HUB_SETTINGS``); what stays the same everywhere is here. README.md, "The course on
JupyterHub", explains the whole set-up.

- Local accounts, PAM passwords. Students in the JupyterHub group ``nbgrader-<course>``, the
  instructor and the grader in ``formgrade-<course>`` (nbgrader's JupyterHubAuthPlugin reads these
  groups: the Assignment List shows a student the courses of their groups, the Course List shows staff
  the formgrader of theirs).
- The formgrader runs as a JupyterHub service named after the course, as the course account (which owns
  the course directory, the gradebook and autograded/); the instructor and the grader reach it through
  the hub (``/services/<course>/``), students cannot.
- MathJax for the feedback and formgrader pages: a static service ``/services/mathjax/`` every user
  reaches (``mathjax_service.py``), so formulas render offline in a student's feedback.
- Every server runs ``jupyterhub-singleuser`` of the shared course environment; which nbgrader
  extensions a user sees comes from a per-role Jupyter config folder (``JUPYTER_CONFIG_PATH``).
"""

import json
import os

from jupyterhub.utils import random_port

c = get_config()  # noqa: F821 (provided by JupyterHub when it loads this file)

with open(os.environ["VAE_HUB_SETTINGS"]) as _file:
    S = json.load(_file)

COURSE = S["course_id"]
STAFF = [S["instructor"], S["grader"]]
STUDENTS = S["students"]
ETC = S["etc"]  # <hub>/etc/jupyter: the per-role config folders


def _config_path(role: str) -> str:
    return os.pathsep.join([os.path.join(ETC, role), os.path.join(ETC, "common")])


# --- where the hub listens: localhost only ---------------------------------------------------------
c.JupyterHub.bind_url = f"http://127.0.0.1:{S['port']}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{S['hub_port']}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{S['proxy_api_port']}"
c.ConfigurableHTTPProxy.command = [S["proxy_command"]]
c.ConfigurableHTTPProxy.auth_token = S["proxy_token"]
c.ConfigurableHTTPProxy.pid_file = os.path.join(S["root"], "jupyterhub-proxy.pid")
c.JupyterHub.pid_file = os.path.join(S["root"], "jupyterhub.pid")
c.JupyterHub.db_url = "sqlite:///" + os.path.join(S["root"], "jupyterhub.sqlite")
c.JupyterHub.cookie_secret_file = os.path.join(S["root"], "jupyterhub_cookie_secret")
c.JupyterHub.cleanup_servers = True  # stopping the hub stops every server
c.JupyterHub.shutdown_on_logout = False

# --- accounts: local users, PAM passwords ------------------------------------------------------------
c.JupyterHub.authenticator_class = "pam"
c.PAMAuthenticator.open_sessions = False
# The course account is a hub user too (nbgrader's demos: the grader account is in formgrade-<course>):
# the formgrader's JupyterHubAuthPlugin looks up its groups. It has no password: nobody logs in as it.
c.Authenticator.allowed_users = set(STAFF + STUDENTS + [S["course_user"]])
c.Authenticator.admin_users = {S["instructor"]}  # the hub's admin page: users, servers (nbgrader's docs)

c.JupyterHub.load_groups = {
    f"formgrade-{COURSE}": {"users": STAFF + [S["course_user"]]},
    f"nbgrader-{COURSE}": {"users": STUDENTS},
}
c.JupyterHub.load_roles = [
    {   # instructor and grader: the formgrader service
        "name": f"formgrade-{COURSE}",
        "groups": [f"formgrade-{COURSE}"],
        "scopes": [f"access:services!service={COURSE}", "list:services", f"read:services!service={COURSE}"],
    },
    {   # the formgrader service: who is in which group (and adds students added in the formgrader)
        "name": f"{COURSE}-service",
        "services": [COURSE],
        "scopes": ["list:users", "read:users", "list:groups", "read:groups", "groups"],
    },
    {   # tools.hub (and the tests): start and stop servers, tokens for simulated students
        "name": "vae-hub-admin",
        "services": ["vae-hub-admin"],
        "scopes": ["list:users", "read:users", "admin:servers", "access:servers", "tokens", "read:hub"],
    },
]
c.JupyterHub.services = [
    {
        "name": COURSE,
        "url": f"http://127.0.0.1:{S['service_port']}",
        "command": [os.path.join(S["env"], "bin", "jupyterhub-singleuser")],
        "user": S["course_user"],
        "oauth_no_confirm": True,  # staff are sent straight on, without a page asking to authorise it
        "cwd": S["course_dir"],
        "environment": {
            "PATH": S["path"],
            "JUPYTER_CONFIG_PATH": _config_path("service"),
            "JUPYTER_PATH": S["jupyter_path"],  # the formgrader's pages with the hub's MathJax (tools/hub.py)
            "JUPYTERHUB_DEFAULT_URL": "/lab",
            **S["course_environment"],
        },
    },
    {"name": "vae-hub-admin", "api_token": S["admin_token"]},
]
# Formulas in every page the hub serves (feedback, the formgrader): Debian's MathJax at
# /services/mathjax/, which every user (and the course service) can load, offline (mathjax_service.py).
if S.get("mathjax_dir"):
    c.JupyterHub.services.append({
        "name": "mathjax",
        "url": f"http://127.0.0.1:{S['mathjax_port']}",
        "command": [os.path.join(S["env"], "bin", "python"), S["mathjax_service"], S["mathjax_dir"]],
        "user": S["mathjax_user"],  # nobody: it reads only the public MathJax files
        "cwd": "/",
        "environment": {"PATH": S["path"]},
    })

# --- every user's server -------------------------------------------------------------------------
c.Spawner.cmd = [os.path.join(S["env"], "bin", "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.env_keep = ["LANG", "LC_ALL"]  # not the hub's PATH, PYTHONPATH or VIRTUAL_ENV
c.Spawner.environment = {
    "PATH": S["path"],
    "JUPYTER_CONFIG_PATH": lambda spawner: _config_path("staff" if spawner.user.name in STAFF else "student"),
    **S["course_environment"],
}
# What the server's own token may do (the subset its owner holds): nbgrader's JupyterHubAuthPlugin
# reads the user's groups; the Course List of the instructor and the grader lists the services.
c.Spawner.server_token_scopes = [
    "users:activity!user", "read:users:name!user", "read:users:groups!user", "list:services", "read:services",
]
# Many servers may start at once on a small machine (the load test starts 30).
c.Spawner.start_timeout = 300
c.Spawner.http_timeout = 300

# Each server its own port. JupyterHub picks a free port when a server starts, but a server takes
# a while to bind it (a minute when 30 start at once): two servers starting together could be given
# the same port, one then fails, and the hub, which takes any answer on that port for "up", routes
# its user to the other's server (which refuses them: "Not allowing user ..."). No port handed to a
# server of this hub is handed to another.
_PORTS = {}  # user/server name -> the port it was given


def _own_port(spawner):
    taken = set(_PORTS.values())
    port = random_port()
    while port in taken:
        port = random_port()
    _PORTS[f"{spawner.user.name}/{spawner.name}"] = spawner.port = port


c.Spawner.pre_spawn_hook = _own_port
