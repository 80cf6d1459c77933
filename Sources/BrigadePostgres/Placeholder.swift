// BrigadePostgres: work in progress.
