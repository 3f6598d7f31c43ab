FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY api api
COPY pipelines pipelines
COPY models models
COPY migrations migrations
RUN pip install --no-cache-dir -e .
EXPOSE 8000
CMD ["forma", "up", "--host", "0.0.0.0"]
