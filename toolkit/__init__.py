"""Small mechanisms every app uses: CSV responses, safe form fields, transaction settings, and the
registry of dashboard panels and demo seeders. The bottom layer: imports no app of the portal."""
