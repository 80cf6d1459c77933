// BrigadeTesting: work in progress.
