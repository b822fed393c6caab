"""Extensions are created here, unbound, and bound to the app in `create_app`."""

from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase

from portal.mail import Mail


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
babel = Babel()
csrf = CSRFProtect()
mail = Mail()
login_manager = LoginManager()
#: Every limit names its own key (client, email domain, mailbox): see `portal.rate_limits`.
limiter = Limiter(key_func=get_remote_address)
compress = Compress()
