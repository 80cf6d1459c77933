// BrigadeHTTP: work in progress.
