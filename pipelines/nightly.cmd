@echo off
rem Run one pipeline (sync -> score -> report) and append its output to logs\qaf-run.log.
rem For the Windows Task Scheduler; the token comes from the environment variable the config names.
rem   usage: pipelines\nightly.cmd [pipelines\<name>.toml]
cd /d "%~dp0.."
set CONFIG=%1
if "%CONFIG%"=="" set CONFIG=pipelines\example.toml
if not exist logs mkdir logs
.venv\Scripts\qaf-kobo.exe run --config "%CONFIG%" >> logs\qaf-run.log 2>&1
