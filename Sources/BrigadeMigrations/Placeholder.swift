// BrigadeMigrations: work in progress.
