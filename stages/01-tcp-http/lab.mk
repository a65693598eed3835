# Lab 1 — what the build makes of this folder (read by the top-level Makefile).
# PROGRAMS: the programs of the lab; P_SRCS: the files that hold P's main().
# Every other .c file here is a module, linked into the programs and tests of
# this lab and of every later lab.
PROGRAMS := tcpecho board
tcpecho_SRCS := tcpecho.c
board_SRCS := board_main.c
# The program `make run LAB=1` starts, and the page it serves.
RUN := board
PAGE := /01-tcp-http/
LDLIBS := -lpthread
