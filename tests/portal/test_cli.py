"""`flask users` and `flask demo seed`."""

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Order, User
from tests.overrides import override_settings


def test_users_create_staff(runner, app):
    result = runner.invoke(
        args=["users", "create", "--email", "Ann@Example.com", "--name", "Ann", "--role", "staff"],
        input="a-good-password\na-good-password\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "ann@example.com"))
        assert user.role == "staff" and user.check_password("a-good-password")


def test_demo_seed_is_idempotent(runner, app):
    first = runner.invoke(args=["demo", "seed"])
    second = runner.invoke(args=["demo", "seed"])
    assert "customer@example.com / customer-demo" in first.output
    assert "(0 new rows)" in second.output
    with app.app_context():
        statuses = set(
            db.session.scalars(select(Order.status).join(User).where(User.email == "customer@example.com"))
        )
        assert statuses == {"pending", "shipped", "delivered", "refunded", "cancelled"}
        assert db.session.scalar(select(func.count()).select_from(User)) == 4


def test_demo_seed_refused_in_production(runner, app):
    override_settings(app, ENV_NAME="production")
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code != 0
    assert "refusing" in result.output
