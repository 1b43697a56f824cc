"""Flask extensions, made once here and bound to the app in ``create_app``."""

from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
babel = Babel()
