# Lab 4 — what the build makes of this folder (read by the top-level Makefile).
PROGRAMS := chat
chat_SRCS := chat_main.c
RUN := chat
PAGE := /04-broadcast/
