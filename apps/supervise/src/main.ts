process.stdout.write("supervise: not yet\n");
