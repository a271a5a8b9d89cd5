"""File storage: where uploaded files (avatars) live, local disk or S3/MinIO, per a DB config."""
