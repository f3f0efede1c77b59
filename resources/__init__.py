"""Resources: object store (local | S3), Spark session, warehouse, platform API client."""
