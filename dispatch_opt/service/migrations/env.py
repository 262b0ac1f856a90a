"""Alembic's environment: the URL comes from the config `dispatch_opt.service.db` builds."""

from alembic import context

from dispatch_opt.service.db import make_engine, metadata

url = context.config.get_main_option("sqlalchemy.url")
engine = make_engine(url)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
