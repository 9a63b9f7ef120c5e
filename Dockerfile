# One image for the API, the workers and the migration step.
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
COPY pyproject.toml constraints.txt README.md ./
COPY shared shared
COPY api api
COPY worker worker
COPY cli cli
COPY client client
COPY migrations migrations
COPY alembic.ini ./
RUN pip install -c constraints.txt .
RUN useradd --create-home optbench
USER optbench
EXPOSE 8000
CMD ["uvicorn", "api.app:app", "--host", "0.0.0.0", "--port", "8000"]
