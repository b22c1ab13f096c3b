"""The Streamlit page's parts (``app.py`` is the page's flow): its state, sidebar, headline and
views, and the pieces that need no Streamlit (edits, workspace, uploads, text escaping)."""
