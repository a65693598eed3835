# Lab 2 — what the build makes of this folder (read by the top-level Makefile).
PROGRAMS := handshake
handshake_SRCS := handshake_main.c
RUN := handshake
PAGE := /02-handshake/
