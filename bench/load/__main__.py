from bench.load.cli import main

raise SystemExit(main())
