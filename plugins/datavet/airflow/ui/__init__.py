"""datavet's pages inside Airflow's API server: a FastAPI app (``/datavet``) behind Airflow's auth manager."""
