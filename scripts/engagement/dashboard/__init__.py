"""The engagement dashboard (Streamlit): ``streamlit run scripts/engagement/dashboard/app.py``.

``data`` reads the published snapshot (no Streamlit), ``charts`` draws Plotly figures,
``app`` is the page. The package must be installed (``make install``): the page
imports its siblings as ``engagement.dashboard.*``.
"""
