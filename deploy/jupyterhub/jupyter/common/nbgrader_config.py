"""nbgrader on the course's JupyterHub, for every account (students, staff, the formgrader service):
the shared exchange and nbgrader's JupyterHub authentication. Installed by tools/hub.py in
<hub>/etc/jupyter/common/, on every server's JUPYTER_CONFIG_PATH."""

import os

from nbgrader.auth import JupyterHubAuthPlugin

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = os.environ.get("VAE_COURSE_ID", "vae-course")
# The exchange every account shares (the course's own nbgrader_config.py reads the same variable).
c.Exchange.root = os.environ["VAE_COURSE_EXCHANGE"]
c.Exchange.path_includes_course = True
# Who may fetch and submit (group nbgrader-<course>) and who sees the formgrader (formgrade-<course>):
# JupyterHub's groups.
c.Authenticator.plugin_class = JupyterHubAuthPlugin
