"""Console area: file storage settings (local disk or S3/MinIO) and the connection test."""
