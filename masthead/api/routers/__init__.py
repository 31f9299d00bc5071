"""One router per resource, each with its input and output schemas beside it (``<resource>_schemas.py``)."""
