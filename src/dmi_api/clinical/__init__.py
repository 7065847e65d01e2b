"""Pure clinical rules: ages, instrument scoring, WHO milestone windows, adherence."""
