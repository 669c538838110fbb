"""Privacy-preserving statistics (small-cell suppression, differential privacy).

Pure library: no Django. The statistics issue fills it; it exists now so that the
import-linter contracts guard it from the start.
"""
