// Brigade: work in progress.
