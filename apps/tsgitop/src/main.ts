process.stdout.write("tsgitop: not yet\n");
