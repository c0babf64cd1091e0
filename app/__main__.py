from app.cli.main import entry

entry()
