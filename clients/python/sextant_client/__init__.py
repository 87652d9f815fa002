"""Python client for Sextant, standard library only.

    from sextant_client import Client
    client = Client("http://localhost:8080")
    predictions, request_id = client.predict("fraud", rows)
"""

from .client import Client, Inference, Prediction
from .errors import SextantError

__all__ = ["Client", "Inference", "Prediction", "SextantError"]
__version__ = "0.1.0"
