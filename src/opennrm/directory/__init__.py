"""The service directory: organisations, their services and locations, HSDS 3.x import and
export, ranking of services for a person's needs, and providers' capacity updates."""
