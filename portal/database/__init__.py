"""Database plumbing the models cannot express: SQLite's write transactions (`sqlite`) and the desk
search's full-text objects per dialect (`search_ddl`)."""
