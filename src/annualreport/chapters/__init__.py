"""What chapter notebooks call: the chapter context, tables, charts, wording."""
