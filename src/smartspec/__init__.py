"""smartspec: the smart specialisation (S3) platform.

The package follows the five elements of the S3-4AlpClusters innovation model:
``evidence`` (element 1), ``discovery`` (2), ``strategy`` (3), ``implementation`` (4) and
``monitoring`` (5), on top of the ``data`` layer.
"""

__version__ = "0.1.0"
