"""The bureau's documents (.docx): agreements, forms, notices, demands, the public list and statements,
rendered from templates staff edit in Word or WPS. Nothing here knows the database: the application
hands each document plain data, and registers what was issued."""
