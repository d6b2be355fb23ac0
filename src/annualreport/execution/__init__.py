"""Running chapter notebooks: papermill execution, the chapter cache, progress."""
