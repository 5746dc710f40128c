"""The engagement dashboard (Streamlit): run with ``streamlit run dashboard/app.py``."""
