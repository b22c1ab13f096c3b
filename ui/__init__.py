"""Helpers of the Streamlit page (``app.py``) that need no Streamlit: scenario edits."""
