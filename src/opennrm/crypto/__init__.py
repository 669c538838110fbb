"""Personal data encrypted at rest: model fields, key rotation, production checks.

``opennrm.crypto.keys`` is pure (no Django); ``fields`` are the model fields the personal
data uses; ``rotation`` re-encrypts every row and attachment under the current key
(`opennrm keys rotate`)."""
