from sigmatrade.cli import main

raise SystemExit(main())
