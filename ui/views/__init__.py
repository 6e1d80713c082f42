"""The sales pages, one module per area; URLs in ui/urls.py."""
