# One image for the API (serving the web page), the workers and the migration step.
FROM node:20-slim AS web
WORKDIR /web
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend ./
RUN npm run build

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
COPY --from=web /web/dist frontend/dist
RUN pip install -c constraints.txt './client[cli,figures]' .
RUN useradd --create-home optbench
USER optbench
EXPOSE 8000
CMD ["uvicorn", "api.app:app", "--host", "0.0.0.0", "--port", "8000"]
